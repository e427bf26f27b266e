// The same build check as test_header.c, compiled as C++.
#include "test_header.c"
