/* tests/unit/test_error.c: placeholder */
int main(void) { return 77; }
