/* tests/unit/test_crl.c: placeholder */
int main(void) { return 77; }
