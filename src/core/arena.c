/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Chunked bump allocator; see arena.h. Owned and used by one thread. */
#include "core/arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct kr_arena_chunk {
    struct kr_arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t pos;  /* next free byte */
    alignas(max_align_t) unsigned char data[];
};

void kr_arena_init(struct kr_arena *a, size_t chunk_size, size_t cap)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 16384;
    a->cap = cap;
    a->used = 0;
}

void kr_arena_fini(struct kr_arena *a)
{
    struct kr_arena_chunk *c = a->head;
    while (c) {
        struct kr_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}

void kr_arena_reset(struct kr_arena *a)
{
    struct kr_arena_chunk *keep = NULL;
    struct kr_arena_chunk *c = a->head;

    /* Keep the oldest chunk (the default-sized one) so steady traffic never mallocs. */
    while (c) {
        struct kr_arena_chunk *next = c->next;
        if (next == NULL && c->size == a->chunk_size) {
            keep = c;
        } else {
            free(c);
        }
        c = next;
    }
    a->head = keep;
    a->used = 0;
    if (keep) {
        keep->pos = 0;
        keep->next = NULL;
        a->used = keep->size;
    }
}

void *kr_arena_alloc(struct kr_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t need = (size + align - 1) & ~(align - 1);

    if (need < size) {
        return NULL;
    }
    struct kr_arena_chunk *c = a->head;
    if (c == NULL || c->size - c->pos < need) {
        size_t csize = need > a->chunk_size ? need : a->chunk_size;
        if (a->cap && (csize > a->cap || a->used > a->cap - csize)) {
            return NULL;
        }
        c = malloc(sizeof(*c) + csize);
        if (c == NULL) {
            return NULL;
        }
        c->size = csize;
        c->pos = 0;
        c->next = a->head;
        a->head = c;
        a->used += csize;
    }
    void *p = c->data + c->pos;
    c->pos += need;
    return p;
}

void *kr_arena_zalloc(struct kr_arena *a, size_t size)
{
    void *p = kr_arena_alloc(a, size);
    if (p) {
        memset(p, 0, size);
    }
    return p;
}

struct kr_str kr_arena_strdup(struct kr_arena *a, struct kr_str s)
{
    char *p = kr_arena_cstr(a, s);
    return kr_str_make(p, p ? s.len : 0);
}

char *kr_arena_cstr(struct kr_arena *a, struct kr_str s)
{
    char *p = kr_arena_alloc(a, s.len + 1);
    if (p) {
        if (s.len) {
            memcpy(p, s.ptr, s.len);
        }
        p[s.len] = '\0';
    }
    return p;
}
