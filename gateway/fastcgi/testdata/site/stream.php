<?php
// Sends a first line, flushes, then waits until the test has seen it (the
// test creates the file named by ?go=), so the line can only have reached
// the client if nothing held it until the script ended.
header('Content-Type: text/plain');
echo "first\n";
flush();
$go = $_GET['go'];
for ($i = 0; $i < 200 && !file_exists($go); $i++) {
    usleep(50000);
}
echo file_exists($go) ? "second\n" : "timed out\n";
