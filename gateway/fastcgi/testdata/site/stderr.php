<?php
error_log("a message for the log");
echo "ok\n";
