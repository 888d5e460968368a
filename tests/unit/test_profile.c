/* tests/unit/test_profile.c: placeholder */
int main(void) { return 77; }
