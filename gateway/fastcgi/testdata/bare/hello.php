<?php
echo "hello from ", $_SERVER['SCRIPT_NAME'], "\n";
