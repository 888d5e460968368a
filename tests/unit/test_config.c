/* tests/unit/test_config.c: placeholder */
int main(void) { return 77; }
