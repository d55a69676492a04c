/* The argv vector. */
#include <stdlib.h>

#include "core/base/strv.h"
#include "test.h"

int
main(void)
{
	struct strv sv = {0};
	char *j;

	CHECK(strv_add(&sv, "qemu") == 0);
	CHECK(strv_addf(&sv, "-m %d", 128) == 0);
	for (int i = 0; i < 100; i++)
		CHECK(strv_addf(&sv, "%d", i) == 0);
	CHECK(sv.n == 102);
	CHECK(sv.v[sv.n] == NULL);
	CHECK_STR(sv.v[1], "-m 128");
	j = strv_join(&sv);
	CHECK(j != NULL && strncmp(j, "qemu -m 128 0 1 2", 17) == 0);
	free(j);
	strv_free(&sv);
	CHECK(sv.v == NULL && sv.n == 0);
	TEST_DONE();
}
