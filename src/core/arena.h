/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bump allocator for per-message data. Each worker owns one arena and resets it after
 * the route returns; nothing allocated from it is freed one by one. Not thread-safe:
 * only the owning thread uses it. */
#pragma once

#include <stddef.h>

#include "core/str.h"

struct kr_arena_chunk;

struct kr_arena {
    struct kr_arena_chunk *head; /* current chunk; older chunks follow */
    size_t chunk_size;           /* default size of a new chunk */
    size_t cap;                  /* most bytes the arena may hold; 0 = no cap */
    size_t used;                 /* bytes held in all chunks */
};

/* chunk_size: size of each chunk; cap: total limit (0 for none). */
void kr_arena_init(struct kr_arena *a, size_t chunk_size, size_t cap);
/* Frees every chunk. */
void kr_arena_fini(struct kr_arena *a);
/* Returns the arena to empty, keeping the first chunk for reuse. */
void kr_arena_reset(struct kr_arena *a);
/* Returns size bytes aligned for any type, or NULL when the cap is reached or malloc fails. */
void *kr_arena_alloc(struct kr_arena *a, size_t size);
void *kr_arena_zalloc(struct kr_arena *a, size_t size);
/* Copies s into the arena (with a NUL after it, not counted); .ptr NULL on failure. */
struct kr_str kr_arena_strdup(struct kr_arena *a, struct kr_str s);
/* NUL-terminated copy, for APIs that need C strings; NULL on failure. */
char *kr_arena_cstr(struct kr_arena *a, struct kr_str s);
