<?php
// The front controller: every path naming no file ends here.
header('Content-Type: text/plain');
echo "front controller: ", $_SERVER['REQUEST_URI'], "\n";
