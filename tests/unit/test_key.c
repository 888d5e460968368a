/* tests/unit/test_key.c: placeholder */
int main(void) { return 77; }
