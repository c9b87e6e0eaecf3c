<?php
// A body larger than a record: several STDOUT records, and a flush between.
header('Content-Type: text/plain');
$line = str_repeat('x', 99) . "\n";
for ($i = 0; $i < 3000; $i++) {
    echo $line;
}
