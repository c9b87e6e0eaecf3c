"""Brick's WSGI zygote (--preload): imports the application once and forks
the workers from it, so that they start in milliseconds and share the
imported code's memory copy-on-write.

Brick starts this program as it starts worker.py (the application's
"module:callable", the mode, a Unix socket as file descriptor 3). The
zygote imports the application with the garbage collector off, moves
every object it made into the permanent generation (gc.freeze(), so that
a collection in a worker never writes to those pages), says "ready" and
then forks one worker for each fork frame Brick sends. A worker runs
worker.py's loop on the socket that came with the fork frame, its output
going to the pipe that came with it. The zygote reaps its children and
tells Brick how each ended.

Control frames (the format of worker.py's):

    Brick to zygote: 'F' fork; payload empty; two descriptors travel with
        it (SCM_RIGHTS): the worker's socket and its output pipe.
    Zygote to Brick: 'R' ready, 'X' fatal (the import failed: traceback),
        'P' forked (u32 pid, one per 'F', in order; 0 and why when the fork
        failed), 'W' a child ended
        (u32 pid, then how, as text).

After the fork, a worker calls the application module's brick_post_fork(),
if it defines one, before it says ready: the place to close what must not
be shared between processes (database connections, sockets, random
states that os.register_at_fork does not cover).
"""

import faulthandler
import gc
import importlib.util
import os
import select
import signal
import socket
import struct
import sys
import traceback

_spec = importlib.util.spec_from_file_location(
    "_brick_worker", os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
)
W = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(W)

_PID = struct.Struct("<I")


def send(sock, kind, payload=b""):
    sock.sendall(W._FRAME.pack(ord(kind), len(payload)) + payload)


def describe(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "?"
        return "killed by signal %d (%s)" % (sig, name)
    return "exit status %d" % os.waitstatus_to_exitcode(status)


def worker(app, hook, multiprocess, sock_fd, out_fd, spec):
    """Runs in the forked child: becomes a worker, never returns."""
    code = 1
    try:
        # A group of its own: Brick kills the zygote's group when the
        # zygote ends, and its workers must outlive it.
        os.setpgid(0, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        # The socket becomes descriptor 3 (the zygote's, closed in the
        # child), as in a worker Brick starts itself: a worker of either
        # kind has 0 to 3 open, and what Brick inherited.
        if sock_fd != 3:
            os.dup2(sock_fd, 3)
            os.close(sock_fd)
        sock = socket.socket(fileno=3)
        gc.enable()
        try:
            if hook is not None:
                hook()
        except BaseException:
            tb = traceback.format_exc().encode("utf-8", "replace")
            send(sock, "X", b"brick_post_fork failed:\n" + tb)
            raise
        info = "pid=%d python=%s app=%s preload=zygote:%d" % (os.getpid(), sys.version.split()[0], spec, os.getppid())
        send(sock, "R", info.encode())
        try:
            W.Worker(app, W.Channel(sock), multiprocess).serve()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            pass  # Brick closed the socket: stop quietly.
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


# The workers forked and not yet reaped, for brick_died.
children = set()


def reap(ctl):
    """Reaps the workers that ended and tells Brick (not when ctl is
    None: Brick is gone)."""
    while True:
        # A pid leaves children as it is reaped, with brick_died held
        # off: it must never signal a pid that is no longer its child's.
        signal.pthread_sigmask(signal.SIG_BLOCK, (_BRICK_DIED,))
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if info is None:
                return
            pid = info.si_pid
            # Until it is reaped the worker's pid names its process
            # group: what its application started and left behind dies
            # with it, as for a worker Brick starts itself (procpool).
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _, status = os.waitpid(pid, 0)
            children.discard(pid)
        except ChildProcessError:
            return
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, (_BRICK_DIED,))
        if ctl is not None:
            send(ctl, "W", _PID.pack(pid) + describe(status).encode())


def linger(wake_r):
    """Waits for the workers still running to end, reaping them: SIGCHLD
    writes to the wakeup pipe wake_r reads from."""
    poller = select.poll()
    poller.register(wake_r, select.POLLIN)
    while True:
        reap(None)
        if not children:
            return
        poller.poll(1000)
        try:
            os.read(wake_r, 512)
        except BlockingIOError:
            pass


# Brick starts the zygote with a parent-death signal of SIGKILL, as every
# worker it starts itself, so that none outlives a Brick that crashed. The
# workers the zygote forks are its children, not Brick's: the zygote asks
# for this signal instead, and takes them with it.
_BRICK_DIED = signal.SIGUSR2
_PR_SET_PDEATHSIG = 1


def follow_brick(brick):
    """Makes the zygote's parent-death signal _BRICK_DIED, once the
    application is imported: an import stuck in C code would never run
    the handler, where SIGKILL needs none. brick is the parent's pid,
    taken at start. Where the signal cannot be set (no ctypes), the zygote
    dies alone, and its workers when they next find their socket closed."""

    def brick_died(signum, frame):
        if os.getppid() == brick:
            return  # sent by someone else: Brick lives
        for pid in children:
            # Each worker leads a process group of its own, with what its
            # application started; unreaped, its pid names that group.
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        os._exit(1)

    signal.signal(_BRICK_DIED, brick_died)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(_BRICK_DIED), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (ImportError, OSError, AttributeError) as e:
        sys.stderr.write("zygote: cannot follow Brick's death (%s); a worker busy when Brick dies finishes its request first\n" % e)
        return
    if os.getppid() != brick:
        brick_died(_BRICK_DIED, None)  # Brick died before the signal was set


def main():
    W.set_scheduling()
    spec = sys.argv[1]
    multiprocess = len(sys.argv) > 2 and sys.argv[2] == "multiprocess"
    ctl = socket.socket(fileno=3)
    brick = os.getppid()
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    sys.path.insert(0, os.getcwd())
    # No collection while importing: it would free objects between the
    # ones that stay, and leave holes that later allocations write into.
    gc.disable()
    try:
        app = W.load(spec)
        hook = getattr(sys.modules[spec.partition(":")[0]], "brick_post_fork", None)
        if hook is not None and not callable(hook):
            raise TypeError("brick_post_fork in %s is not callable" % spec.partition(":")[0])
    except BaseException:
        tb = traceback.format_exc().encode("utf-8", "replace")
        send(ctl, "X", tb)
        sys.exit(1)
    gc.freeze()
    follow_brick(brick)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    info = "pid=%d python=%s app=%s zygote" % (os.getpid(), sys.version.split()[0], spec)
    send(ctl, "R", info.encode())

    chan = W.Channel(ctl)
    poller = select.poll()
    poller.register(ctl.fileno(), select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
                reap(ctl)
                continue
            while True:
                try:
                    kind, start, end = chan.frame()
                except EOFError:
                    # Brick closed the socket: it stopped this zygote,
                    # or died. The workers live on; the zygote stays
                    # their parent until they end, so that it reaps them
                    # and, if Brick died, takes them with it.
                    linger(wake_r)
                    return
                chan.done(end)
                if kind != ord("F") or len(chan.fds) < 2:
                    raise W.ProtocolError("unexpected frame %r with %d descriptors" % (chr(kind), len(chan.fds)))
                sock_fd, out_fd = chan.fds.pop(0), chan.fds.pop(0)
                signal.pthread_sigmask(signal.SIG_BLOCK, (_BRICK_DIED,))
                try:
                    pid = os.fork()
                except OSError as e:
                    # A process limit, no memory: Brick asks again later;
                    # the zygote, and what it imported, serve on.
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, (_BRICK_DIED,))
                    os.close(sock_fd)
                    os.close(out_fd)
                    send(ctl, "P", _PID.pack(0) + str(e).encode("utf-8", "replace"))
                    if chan.w == chan.r:
                        break
                    continue
                if pid == 0:
                    ctl.close()
                    os.close(wake_r)
                    os.close(wake_w)
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    signal.signal(_BRICK_DIED, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, (_BRICK_DIED,))
                    worker(app, hook, multiprocess, sock_fd, out_fd, spec)
                children.add(pid)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, (_BRICK_DIED,))
                os.close(sock_fd)
                os.close(out_fd)
                send(ctl, "P", _PID.pack(pid))
                if chan.w == chan.r:
                    break
        reap(ctl)


if __name__ == "__main__":
    main()
