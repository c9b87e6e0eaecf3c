<?php
http_response_code(418);
setcookie('flavour', 'oatmeal');
setcookie('count', '2');
header('X-Script: status');
echo "I'm a teapot\n";
