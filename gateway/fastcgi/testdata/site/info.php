<?php
header('Content-Type: application/json');
$keys = ['SCRIPT_FILENAME', 'SCRIPT_NAME', 'PATH_INFO', 'PATH_TRANSLATED', 'REQUEST_URI', 'QUERY_STRING',
    'REQUEST_METHOD', 'REMOTE_ADDR', 'DOCUMENT_ROOT', 'SERVER_PROTOCOL', 'HTTP_HOST', 'HTTP_X_CUSTOM',
    'HTTP_PROXY', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'PHP_SELF', 'HTTPS'];
$out = [];
foreach ($keys as $k) {
    if (isset($_SERVER[$k])) {
        $out[$k] = $_SERVER[$k];
    }
}
$out['_GET'] = $_GET;
$out['_POST'] = $_POST;
$out['_COOKIE'] = $_COOKIE;
$out['input_sha256'] = hash('sha256', file_get_contents('php://input'));
echo json_encode($out);
