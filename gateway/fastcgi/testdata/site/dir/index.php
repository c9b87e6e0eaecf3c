<?php
echo "dir index: ", $_SERVER['SCRIPT_NAME'], "\n";
