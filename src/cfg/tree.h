/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The loaded configuration as a tree: route blocks of statements and expressions, with
 * functions, pseudo-variables, routes and regexes resolved at load time, plus the core
 * parameters, modparams and loaded modules. Everything lives in the config's arena (or
 * heap vectors it frees) and is read-only once kr_cfg_load returns. Internal to src/cfg. */
#pragma once

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cfg/cfg.h"
#include "cfg/module.h"
#include "core/arena.h"
#include "core/str.h"

/* Where a token or node came from (through includes; define expansions point at the
 * place the name was used). */
struct kr_loc {
    const char *file;
    uint32_t line;
    uint32_t col;
};

/* Collected load errors: "FILE:LINE:COL: error: ..." lines. */
struct kr_diag {
    char *buf; /* may be NULL */
    size_t size;
    size_t len;
    unsigned n;
};

void kr_diag_init(struct kr_diag *d, char *buf, size_t size);
void kr_diag_add(struct kr_diag *d, struct kr_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error from a kr_err (a fixup's), with the function or PV it came from. */
void kr_diag_err(struct kr_diag *d, struct kr_loc loc, const char *what, const struct kr_err *e);

/* A growable heap array. Growing moves the elements: keep indexes, not pointers, while
 * a vector still grows. */
struct kr_vec {
    void *v;
    size_t n;
    size_t cap;
};

/* A zeroed new last element, or NULL when out of memory. */
void *kr_vec_push(struct kr_vec *vec, size_t elsize);
void kr_vec_free(struct kr_vec *vec);
static inline void *kr_vec_at(const struct kr_vec *vec, size_t elsize, size_t i)
{
    return (char *)vec->v + i * elsize;
}

/* --- expressions --- */

enum kr_kw {
    KR_KW_NONE = 0,
    KR_KW_METHOD,
    KR_KW_URI,
    KR_KW_FROM_URI,
    KR_KW_TO_URI,
    KR_KW_SRC_IP,
    KR_KW_DST_IP,
    KR_KW_SRC_PORT,
    KR_KW_DST_PORT,
    KR_KW_PROTO,
    KR_KW_AF,
    KR_KW_MSGLEN,
    KR_KW_STATUS,
};

enum kr_ex_kind {
    KR_EX_CONST = 1,
    KR_EX_PV,
    KR_EX_CALL,   /* module function */
    KR_EX_ROUTE,  /* route(X) */
    KR_EX_UNARY,  /* op: NOT NEG BNOT */
    KR_EX_BINARY, /* arithmetic, comparison */
    KR_EX_AND,
    KR_EX_OR,
    KR_EX_MATCH,   /* a =~ b ; negate for !~ */
    KR_EX_KW,      /* keyword value (method, uri, src_ip, ...) */
    KR_EX_MYSELF,  /* a == myself ; negate for != */
    KR_EX_IPNET,   /* a == 10.0.0.0/8 ; negate for != */
    KR_EX_DEFINED, /* defined a */
    KR_EX_CAST_INT,
    KR_EX_CAST_STR,
    KR_EX_STRLEN,
    KR_EX_STREMPTY,
    KR_EX_MYSELF_WORD, /* the bare word `myself` before it is folded into KR_EX_MYSELF */
};

enum kr_op {
    KR_OP_NONE = 0,
    KR_OP_NOT,
    KR_OP_NEG,
    KR_OP_BNOT,
    KR_OP_EQ,
    KR_OP_NE,
    KR_OP_LT,
    KR_OP_GT,
    KR_OP_LE,
    KR_OP_GE,
    KR_OP_STREQ, /* eq */
    KR_OP_STRNE, /* ne */
    KR_OP_INTEQ, /* ieq */
    KR_OP_INTNE, /* ine */
    KR_OP_ADD,
    KR_OP_SUB,
    KR_OP_MUL,
    KR_OP_DIV,
    KR_OP_MOD,
    KR_OP_BAND,
    KR_OP_BOR,
    KR_OP_BXOR,
    KR_OP_SHL,
    KR_OP_SHR,
};

/* A function argument as written. */
enum kr_rawarg_kind {
    KR_RA_STR = 1, /* "..." or '...' (decoded) */
    KR_RA_INT,
    KR_RA_PV,   /* $x written bare */
    KR_RA_WORD, /* unquoted text: udp:1.2.3.4:5060, an identifier */
};

struct kr_rawarg {
    enum kr_rawarg_kind kind;
    struct kr_str text;
    int64_t ival;
    struct kr_loc loc;
};

struct kr_call {
    struct kr_str name;
    struct kr_loc loc;
    struct kr_rawarg raw[KR_FUNC_MAX_ARGS];
    unsigned nraw;
    /* resolved */
    const struct kr_func *func;
    const struct kr_module *mod;
    struct kr_arg args[KR_FUNC_MAX_ARGS];
    unsigned nargs;
};

struct kr_rcall {
    struct kr_rawarg raw; /* the route's name as written */
    struct kr_loc loc;
    int target;         /* index into cfg->routes; -1: dynamic */
    struct kr_fmt *dyn; /* route($var(x)): name evaluated at run time */
};

struct kr_expr {
    enum kr_ex_kind kind;
    enum kr_op op;
    struct kr_loc loc;
    bool negate;
    enum kr_kw kw;
    struct kr_value val; /* KR_EX_CONST */
    struct kr_expr *a;   /* operand(s) */
    struct kr_expr *b;
    struct kr_str pvtext;   /* KR_EX_PV before resolution */
    struct kr_pv *pv;       /* KR_EX_PV */
    struct kr_call *call;   /* KR_EX_CALL */
    struct kr_rcall *rcall; /* KR_EX_ROUTE */
    regex_t *re;            /* KR_EX_MATCH with a constant pattern */
    /* KR_EX_IPNET */
    int af;
    uint8_t net[16];
    unsigned mask;
};

/* --- statements --- */

enum kr_st_kind {
    KR_ST_EXPR = 1, /* a function call or route(X) as a statement */
    KR_ST_IF,
    KR_ST_SWITCH,
    KR_ST_WHILE,
    KR_ST_ASSIGN,
    KR_ST_RETURN,
    KR_ST_EXIT,
    KR_ST_DROP,
    KR_ST_BREAK,
    KR_ST_BLOCK,
};

struct kr_stmt;

struct kr_case {
    struct kr_value val;
    bool is_default;
    struct kr_loc loc;
    struct kr_stmt *body; /* may be NULL (falls through) */
};

struct kr_stmt {
    enum kr_st_kind kind;
    struct kr_loc loc;
    struct kr_stmt *next;
    struct kr_expr *e;     /* EXPR, IF/SWITCH/WHILE condition, ASSIGN value, RETURN value */
    struct kr_stmt *body;  /* IF then, WHILE body, BLOCK */
    struct kr_stmt *els;   /* IF else */
    struct kr_case *cases; /* SWITCH */
    unsigned ncases;
    struct kr_str lhs_text; /* ASSIGN target as written */
    struct kr_pv *lhs;      /* ASSIGN target */
    bool replace_all;       /* := */
};

struct kr_route {
    enum kr_cfg_route_kind kind;
    struct kr_str name; /* empty for unnamed kinds */
    struct kr_loc loc;
    struct kr_stmt *body;
    unsigned types; /* kr_route_type bits it may run in (computed by the checker) */
};

/* --- modules, modparams --- */

struct kr_cfg_mod {
    const struct kr_module *m;
    void *state;
    bool inited;
    struct kr_loc loc;
};

struct kr_modparam {
    struct kr_str mod;
    struct kr_str name;
    struct kr_value v;
    struct kr_str text;     /* the value as text (ints too) */
    struct kr_loc loc;      /* the modparam keyword */
    struct kr_loc mod_loc;  /* the module name */
    struct kr_loc name_loc; /* the parameter name */
    struct kr_loc val_loc;  /* the value */
};

struct kr_loadmod {
    struct kr_str name; /* stripped: "sl" */
    struct kr_loc loc;
};

/* A compiled regex owned by the config (regfree on kr_cfg_free). */
struct kr_cfg_re {
    struct kr_cfg_re *next;
    regex_t re;
};

struct kr_var_init {
    size_t slot;
    struct kr_value val; /* strings in the config's arena */
};

struct kr_shv_slot {
    char *name;
    size_t nlen;
    struct kr_value val;
    char *buf;
    size_t cap;
};

struct kr_shv {
    pthread_mutex_t lock;
    struct kr_vec slots; /* struct kr_shv_slot; fixed after load */
};

/* What `myself` matches. */
struct kr_myself {
    char host[256]; /* lowercase, IPv6 without brackets */
    uint16_t port;  /* 0: any port */
    int af;         /* AF_INET / AF_INET6 when host is numeric, else 0 */
    uint8_t ip[16];
};

struct kr_cfg {
    struct kr_arena arena;
    uint64_t gen; /* unique per loaded config (rebinds $var stores) */
    time_t started;
    struct kr_cfg_core core;
    struct kr_vec listens;               /* struct kr_cfg_listen */
    struct kr_vec alias_list;            /* const char * */
    struct kr_vec routes;                /* struct kr_route */
    int route_main[KR_CFG_ROUTE__COUNT]; /* unnamed kinds: index or -1 */
    struct kr_vec mods;                  /* struct kr_cfg_mod: loaded, in init order */
    struct kr_vec loadmods;              /* struct kr_loadmod as written */
    struct kr_vec mparams;               /* struct kr_modparam */
    const struct kr_module *const *all_modules;
    const char *const *mod_aliases;
    struct kr_vec var_names; /* struct kr_str: $var slots */
    struct kr_vec var_inits; /* struct kr_var_init: modparam("pv", "varset", ...) */
    struct kr_shv shv;
    struct kr_cfg_re *regs;
    struct kr_vec myself; /* struct kr_myself */
    bool listens_set;     /* kr_cfg_set_listens was called */
    const char *failed_module;
};

/* Slot of $var(name) / $shv(name), added when new. -1 when out of memory. */
int kr_cfg_var_slot(struct kr_cfg *cfg, struct kr_str name);
int kr_cfg_shv_slot(struct kr_cfg *cfg, struct kr_str name);
/* Sets a $shv at load time (modparam("pv", "shvset", ...)). 0 or KR_ENOMEM. */
int kr_cfg_shv_init(struct kr_cfg *cfg, int slot, const struct kr_value *v);
/* Is host:port ours? any_port: compare the host only (src_ip == myself). */
bool kr_cfg_myself_match(const struct kr_cfg *cfg, struct kr_str host, uint16_t port,
                         bool any_port);

/* The core parameter table; set from the parser. */
struct kr_cfg_param_val {
    struct kr_value v;
    struct kr_str text;
    bool is_ident; /* written as an identifier (yes, LOG_LOCAL0) */
};
void kr_cfg_core_defaults(struct kr_cfg_core *c);
/* Sets a core parameter; returns 0, KR_ENOTFOUND (unknown name) or KR_EINVAL with *why set
 * to a static description of the expected type. */
int kr_cfg_core_set(struct kr_cfg *cfg, struct kr_str name, const struct kr_cfg_param_val *pv,
                    const char **why);
/* Rebuilds the myself table from listens and aliases. */
void kr_cfg_myself_build(struct kr_cfg *cfg);
