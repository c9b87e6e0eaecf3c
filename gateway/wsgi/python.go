package wsgi

import (
	_ "embed"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// workerSource is the Python side of the gateway, embedded so that a user
// installs nothing beyond the application itself.
//
//go:embed python/worker.py
var workerSource []byte

// zygoteSource is the preload zygote, which loads workerSource beside it.
//
//go:embed python/zygote.py
var zygoteSource []byte

// WorkerSource returns worker.py, for tests and the curious.
func WorkerSource() []byte { return workerSource }

// pySpec is what chooses the workers' interpreter; the choice itself is
// pyproc's, shared with the ASGI gateway.
func pySpec(cfg Config) pyproc.Spec {
	return cfg.Spec(wsgiKind.Name)
}

func workerEnv(cfg Config) []string { return pyproc.Env(pySpec(cfg)) }

func checkDir(cfg Config) error { return pyproc.CheckDir(pySpec(cfg)) }

func findPython(cfg Config) (pyproc.Choice, error) { return pyproc.Find(pySpec(cfg)) }
