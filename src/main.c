/* SPDX-License-Identifier: GPL-2.0-or-later */
/* korero start-up and shutdown only. */
#include <stdio.h>

#include "kr_config.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("korero %s\n", KR_VERSION);
    return 0;
}
