<?php
header('Content-Type: text/plain');
$f = $_FILES['file'] ?? null;
if ($f === null || $f['error'] !== UPLOAD_ERR_OK) {
    http_response_code(400);
    echo "no upload: ", json_encode($_FILES), "\n";
    exit;
}
echo hash_file('sha256', $f['tmp_name']), " ", $f['size'], " ", $f['name'], " ", $_POST['note'] ?? '', "\n";
