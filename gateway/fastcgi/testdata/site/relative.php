<?php
header('Location: login.php?next=%2F#form');
