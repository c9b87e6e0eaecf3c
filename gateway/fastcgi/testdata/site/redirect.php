<?php
header('Location: /elsewhere?from=php');
