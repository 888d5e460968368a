/* tests/unit/test_x509util.c: placeholder */
int main(void) { return 77; }
