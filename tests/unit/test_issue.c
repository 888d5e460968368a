/* tests/unit/test_issue.c: placeholder */
int main(void) { return 77; }
