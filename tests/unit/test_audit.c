/* tests/unit/test_audit.c: placeholder */
int main(void) { return 77; }
