<?php
echo_nothing_undefined_function();
