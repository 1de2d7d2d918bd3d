#!/usr/bin/env python3
# A script, not an audit report: it must be refused.
import sys

# Print the arguments
for arg in sys.argv[1:]:
    print(arg)
