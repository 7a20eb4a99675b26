#!/bin/sh
# Lists exported symbols of the shared library that lack the gd_ prefix.
bad=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBR]$/ {print $3}' | grep -v '^gd_' | grep -vE '^(_init|_fini|_edata|_end|__bss_start)$')
if [ -n "$bad" ]; then echo "exported symbols without gd_ prefix:"; echo "$bad"; exit 1; fi
