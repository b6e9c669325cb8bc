/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core parameters (`name = value` outside route blocks): one const table with type,
 * default, documentation, and where the value goes in struct kr_cfg_core. Kamailio's
 * parameters that korero does not act on are accepted (type-checked) and ignored.
 * Loading thread. */
#include <stddef.h>
#include <string.h>

#include "cfg/tree.h"
#include "kr_config.h"

#define KR_SERVER_HEADER "Server: korero (" KR_VERSION ")"
#define KR_UA_HEADER "User-Agent: korero (" KR_VERSION ")"

enum { NO_FIELD = -1 };

struct param {
    struct kr_cfg_param_doc doc;
    long off; /* offset in struct kr_cfg_core, NO_FIELD when ignored */
    int64_t min, max;
};

#define F(field) ((long)offsetof(struct kr_cfg_core, field))
#define INT_P(n, field, def, min, max, text)                                                       \
    {                                                                                              \
        { n, KR_CFG_P_INT, #def, text, false }, F(field), min, max                                 \
    }
#define BOOL_P(n, field, def, text)                                                                \
    {                                                                                              \
        { n, KR_CFG_P_BOOL, def, text, false }, F(field), 0, 0                                     \
    }
#define STR_P(n, field, def, text)                                                                 \
    {                                                                                              \
        { n, KR_CFG_P_STR, def, text, false }, F(field), 0, 0                                      \
    }
#define IGN(n, type, text)                                                                         \
    {                                                                                              \
        { n, type, "", text, true }, NO_FIELD, INT64_MIN, INT64_MAX                                \
    }

static const struct param params[] = {
    { { "listen", KR_CFG_P_LISTEN, "",
        "address to listen on: [proto:]addr[:port] [advertise addr[:port]] [name \"x\"]; may "
        "repeat",
        false },
      NO_FIELD,
      0,
      0 },
    { { "alias", KR_CFG_P_ALIAS, "",
        "another name of this server for `myself`: host[:port]; "
        "may repeat",
        false },
      NO_FIELD,
      0,
      0 },
    INT_P("port", port, 5060, 1, 65535, "default port for listen addresses without one"),
    INT_P("children", children, 0, 0, 1024, "worker threads; 0: one per CPU"),
    INT_P("workers", children, 0, 0, 1024, "same as children"),
    INT_P("debug", debug, 0, -5, 3, "log level: -5 (alert) .. 3 (debug)"),
    BOOL_P("log_stderror", log_stderror, "yes",
           "log to stderr (korero's default: it runs in the foreground) instead of syslog"),
    STR_P("log_facility", log_facility, "LOG_DAEMON", "syslog facility"),
    STR_P("log_name", log_name, "korero", "syslog ident"),
    STR_P("log_prefix", log_prefix, "", "prefix of every log line"),
    BOOL_P("fork", fork, "yes", "run workers (no: single worker, for debugging)"),
    BOOL_P("auto_aliases", auto_aliases, "yes", "add listen names found by DNS as aliases"),
    BOOL_P("disable_tcp", disable_tcp, "no", "do not listen on TCP"),
    BOOL_P("enable_tls", enable_tls, "no", "listen on TLS addresses"),
    STR_P("advertised_address", advertised_address, "", "address put in Via/Record-Route"),
    INT_P("advertised_port", advertised_port, 0, 0, 65535, "port put in Via/Record-Route"),
    INT_P("tcp_connection_lifetime", tcp_connection_lifetime, 120, 0, INT32_MAX,
          "seconds an idle TCP connection is kept"),
    INT_P("tcp_max_connections", tcp_max_connections, 2048, 0, INT32_MAX,
          "most TCP connections at once"),
    BOOL_P("tcp_accept_no_cl", tcp_accept_no_cl, "no",
           "accept stream messages without Content-Length"),
    INT_P("tcp_connect_timeout", tcp_connect_timeout, 10, 0, INT32_MAX,
          "seconds to wait for an outgoing TCP connect"),
    INT_P("tcp_send_timeout", tcp_send_timeout, 10, 0, INT32_MAX,
          "seconds queued data may wait on a TCP connection"),
    BOOL_P("tcp_keepalive", tcp_keepalive, "yes", "enable TCP keepalive"),
    INT_P("tcp_rd_buf_size", tcp_rd_buf_size, 4096, 512, 16 << 20, "TCP read buffer size"),
    STR_P("server_header", server_header, KR_SERVER_HEADER, "Server header of local replies"),
    BOOL_P("server_signature", server_signature, "yes", "add the Server header to local replies"),
    STR_P("user_agent_header", user_agent_header, KR_UA_HEADER,
          "User-Agent header of local requests"),
    BOOL_P("sip_warning", sip_warning, "no", "add a Warning header to local replies"),
    INT_P("max_while_loops", max_while_loops, 100, 1, INT32_MAX,
          "most iterations of one while loop"),
    INT_P("max_recursive_level", max_recursive_level, 256, 1, 100000, "most nested route(X) calls"),
    INT_P("maxbuffer", maxbuffer, 16777216, 1024, INT32_MAX,
          "UDP receive buffer size asked of the kernel (SO_RCVBUFFORCE as root)"),
    INT_P("async_workers", async_workers, 0, 0, 1024, "asynchronous task workers"),
    BOOL_P("dns", dns, "no", "reverse-resolve the source for Via received="),
    BOOL_P("rev_dns", rev_dns, "no", "reverse DNS checks on Via"),
    BOOL_P("dns_try_ipv6", dns_try_ipv6, "no", "resolve AAAA records too"),
    BOOL_P("use_dns_cache", use_dns_cache, "yes", "cache DNS answers"),
    STR_P("mpath", mpath, "", "module path (modules are built in: ignored)"),
    IGN("memdbg", KR_CFG_P_INT, "memory debug level (Kamailio's allocator)"),
    IGN("memlog", KR_CFG_P_INT, "memory log level (Kamailio's allocator)"),
    IGN("mlock_pages", KR_CFG_P_BOOL, "lock shared memory pages"),
    IGN("shm_force_alloc", KR_CFG_P_BOOL, "touch shared memory at start"),
    IGN("tcp_children", KR_CFG_P_INT, "TCP workers (korero's workers serve every transport)"),
    IGN("disable_sctp", KR_CFG_P_BOOL, "no SCTP (korero has none)"),
    IGN("enable_sctp", KR_CFG_P_INT, "SCTP (korero has none)"),
    IGN("sctp_children", KR_CFG_P_INT, "SCTP workers"),
    IGN("tcp_async", KR_CFG_P_BOOL, "asynchronous TCP writes (always on)"),
    IGN("tcp_keepidle", KR_CFG_P_INT, "TCP keepalive idle time"),
    IGN("tcp_keepintvl", KR_CFG_P_INT, "TCP keepalive interval"),
    IGN("tcp_keepcnt", KR_CFG_P_INT, "TCP keepalive probes"),
    IGN("tcp_conn_wq_max", KR_CFG_P_INT, "per-connection write queue cap"),
    IGN("tcp_wq_max", KR_CFG_P_INT, "total write queue cap"),
    IGN("tcp_defer_accept", KR_CFG_P_INT, "TCP_DEFER_ACCEPT"),
    IGN("tcp_delayed_ack", KR_CFG_P_BOOL, "TCP delayed ack"),
    IGN("tcp_crlf_ping", KR_CFG_P_BOOL, "answer CRLF pings"),
    IGN("tcp_no_connect", KR_CFG_P_BOOL, "never open TCP connections"),
    IGN("tcp_source_ipv4", KR_CFG_P_STR, "source address of outgoing TCP"),
    IGN("tcp_source_ipv6", KR_CFG_P_STR, "source address of outgoing TCP"),
    IGN("tcp_reuse_port", KR_CFG_P_BOOL, "SO_REUSEPORT for TCP"),
    IGN("tcp_accept_aliases", KR_CFG_P_BOOL, "Via alias parameter"),
    IGN("tcp_fd_cache", KR_CFG_P_BOOL, "TCP fd cache"),
    IGN("tcp_poll_method", KR_CFG_P_STR, "TCP poll method"),
    IGN("tcp_linger2", KR_CFG_P_INT, "TCP_LINGER2"),
    IGN("tcp_syncnt", KR_CFG_P_INT, "TCP_SYNCNT"),
    IGN("tcp_accept_haproxy", KR_CFG_P_BOOL, "PROXY protocol"),
    IGN("tls_max_connections", KR_CFG_P_INT, "most TLS connections"),
    IGN("dns_try_naptr", KR_CFG_P_BOOL, "NAPTR lookups"),
    IGN("dns_retr_time", KR_CFG_P_INT, "resolver retry time"),
    IGN("dns_retr_no", KR_CFG_P_INT, "resolver retries"),
    IGN("dns_servers_no", KR_CFG_P_INT, "resolver servers"),
    IGN("dns_use_search_list", KR_CFG_P_BOOL, "resolver search list"),
    IGN("dns_search_full_match", KR_CFG_P_BOOL, "resolver search matching"),
    IGN("dns_cache_flags", KR_CFG_P_INT, "DNS cache flags"),
    IGN("dns_cache_negative_ttl", KR_CFG_P_INT, "DNS cache"),
    IGN("dns_cache_min_ttl", KR_CFG_P_INT, "DNS cache"),
    IGN("dns_cache_max_ttl", KR_CFG_P_INT, "DNS cache"),
    IGN("dns_cache_mem", KR_CFG_P_INT, "DNS cache"),
    IGN("dns_cache_gc_interval", KR_CFG_P_INT, "DNS cache"),
    IGN("dns_cache_del_nonexp", KR_CFG_P_BOOL, "DNS cache"),
    IGN("dns_cache_init", KR_CFG_P_BOOL, "DNS cache"),
    IGN("dns_srv_lb", KR_CFG_P_BOOL, "SRV load balancing"),
    IGN("dns_udp_pref", KR_CFG_P_INT, "NAPTR preference"),
    IGN("dns_tcp_pref", KR_CFG_P_INT, "NAPTR preference"),
    IGN("dns_tls_pref", KR_CFG_P_INT, "NAPTR preference"),
    IGN("dns_sctp_pref", KR_CFG_P_INT, "NAPTR preference"),
    IGN("dns_naptr_ignore_rfc", KR_CFG_P_BOOL, "NAPTR ordering"),
    IGN("use_dns_failover", KR_CFG_P_BOOL, "DNS failover"),
    IGN("dst_blacklist_init", KR_CFG_P_BOOL, "destination blocklist"),
    IGN("dst_blocklist_init", KR_CFG_P_BOOL, "destination blocklist"),
    IGN("use_dst_blacklist", KR_CFG_P_BOOL, "destination blocklist"),
    IGN("use_dst_blocklist", KR_CFG_P_BOOL, "destination blocklist"),
    IGN("mhomed", KR_CFG_P_BOOL, "multi-homed source selection"),
    IGN("reply_to_via", KR_CFG_P_BOOL, "reply to the Via address"),
    IGN("check_via", KR_CFG_P_BOOL, "check the Via of replies"),
    IGN("syn_branch", KR_CFG_P_BOOL, "synonym branches"),
    IGN("real_time", KR_CFG_P_INT, "real-time scheduling"),
    IGN("rt_prio", KR_CFG_P_INT, "real-time priority"),
    IGN("rt_policy", KR_CFG_P_INT, "real-time policy"),
    IGN("rt_timer1_prio", KR_CFG_P_INT, "timer priority"),
    IGN("rt_timer1_policy", KR_CFG_P_INT, "timer policy"),
    IGN("rt_timer2_prio", KR_CFG_P_INT, "timer priority"),
    IGN("rt_timer2_policy", KR_CFG_P_INT, "timer policy"),
    IGN("user", KR_CFG_P_STR, "user to run as (use the service manager)"),
    IGN("uid", KR_CFG_P_STR, "user to run as"),
    IGN("group", KR_CFG_P_STR, "group to run as"),
    IGN("gid", KR_CFG_P_STR, "group to run as"),
    IGN("chroot", KR_CFG_P_STR, "chroot directory"),
    IGN("workdir", KR_CFG_P_STR, "working directory"),
    IGN("wdir", KR_CFG_P_STR, "working directory"),
    IGN("rundir", KR_CFG_P_STR, "run directory"),
    IGN("run_dir", KR_CFG_P_STR, "run directory"),
    IGN("mem_join", KR_CFG_P_INT, "allocator option"),
    IGN("mem_safety", KR_CFG_P_INT, "allocator option"),
    IGN("mem_summary", KR_CFG_P_INT, "allocator option"),
    IGN("mem_status_mode", KR_CFG_P_INT, "allocator option"),
    IGN("corelog", KR_CFG_P_INT, "core log level"),
    IGN("latency_log", KR_CFG_P_INT, "latency log level"),
    IGN("latency_limit_action", KR_CFG_P_INT, "latency limit"),
    IGN("latency_limit_db", KR_CFG_P_INT, "latency limit"),
    IGN("latency_cfg_log", KR_CFG_P_INT, "latency log"),
    IGN("onsend_route_reply", KR_CFG_P_BOOL, "run onsend_route for replies"),
    IGN("phone2tel", KR_CFG_P_INT, "user=phone URIs as tel"),
    IGN("udp_mtu", KR_CFG_P_INT, "switch to TCP above this size"),
    IGN("udp_mtu_try_proto", KR_CFG_P_STR, "protocol above udp_mtu"),
    IGN("force_rport", KR_CFG_P_BOOL, "always add rport"),
    IGN("tos", KR_CFG_P_ANY, "IP TOS"),
    IGN("pmtu_discovery", KR_CFG_P_INT, "path MTU discovery"),
    IGN("open_files_limit", KR_CFG_P_INT, "RLIMIT_NOFILE"),
    IGN("received_route_mode", KR_CFG_P_INT, "received parameter in Record-Route"),
    IGN("socket_workers", KR_CFG_P_INT, "per-socket workers"),
    IGN("http_reply_parse", KR_CFG_P_BOOL, "parse HTTP replies"),
    IGN("sip_parser_log", KR_CFG_P_INT, "parser log level"),
    IGN("sip_parser_log_oneline", KR_CFG_P_INT, "parser log format"),
    IGN("udp4_raw", KR_CFG_P_INT, "raw UDP sockets"),
    IGN("version_table", KR_CFG_P_STR, "DB version table name"),
    IGN("verbose_startup", KR_CFG_P_INT, "start-up verbosity"),
    IGN("auto_bind_ipv6", KR_CFG_P_INT, "bind IPv6 automatically"),
    IGN("bind_ipv6_link_local", KR_CFG_P_INT, "bind link-local IPv6"),
    IGN("ipv6_hex_style", KR_CFG_P_STR, "IPv6 text style"),
    IGN("max_branches", KR_CFG_P_INT, "most branches per transaction"),
    IGN("modinit_delay", KR_CFG_P_INT, "delay between module inits"),
    IGN("log_color", KR_CFG_P_BOOL, "colored log"),
    IGN("log_engine_type", KR_CFG_P_STR, "log engine"),
    IGN("log_engine_data", KR_CFG_P_STR, "log engine"),
    IGN("xavp_via_params", KR_CFG_P_STR, "Via params from an xavp"),
    IGN("xavp_via_fields", KR_CFG_P_STR, "Via fields from an xavp"),
    IGN("server_id", KR_CFG_P_INT, "server id"),
    IGN("route_locks_size", KR_CFG_P_INT, "route locks"),
    IGN("async_usleep", KR_CFG_P_INT, "async worker sleep"),
    IGN("async_nonblock", KR_CFG_P_INT, "async worker mode"),
    IGN("local_rport", KR_CFG_P_BOOL, "rport in local requests"),
    IGN("pv_cache_limit", KR_CFG_P_INT, "PV cache"),
    IGN("pv_cache_action", KR_CFG_P_INT, "PV cache"),
    IGN("sock_mode", KR_CFG_P_ANY, "unix socket mode"),
    IGN("sock_user", KR_CFG_P_STR, "unix socket user"),
    IGN("sock_group", KR_CFG_P_STR, "unix socket group"),
    IGN("shm_mem_size", KR_CFG_P_INT, "shared memory size (korero uses the heap)"),
    IGN("pkg_mem_size", KR_CFG_P_INT, "private memory size (korero uses the heap)"),
    IGN("statistics", KR_CFG_P_ANY, "statistics"),
    { { 0 }, 0, 0, 0 },
};

const struct kr_cfg_param_doc *kr_cfg_core_param(size_t i)
{
    if (i >= sizeof(params) / sizeof(params[0]) - 1) {
        return NULL;
    }
    return &params[i].doc;
}

void kr_cfg_core_defaults(struct kr_cfg_core *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 5060;
    c->debug = 0;
    c->log_facility = "LOG_DAEMON";
    c->log_stderror = true;
    c->fork = true;
    c->auto_aliases = true;
    c->tcp_connection_lifetime = 120;
    c->tcp_max_connections = 2048;
    c->tcp_connect_timeout = 10;
    c->tcp_send_timeout = 10;
    c->tcp_keepalive = true;
    c->tcp_rd_buf_size = 4096;
    c->server_header = KR_SERVER_HEADER;
    c->server_signature = true;
    c->user_agent_header = KR_UA_HEADER;
    c->max_while_loops = 100;
    c->max_recursive_level = 256;
    c->maxbuffer = 16 * 1024 * 1024;
    c->use_dns_cache = true;
}

static int to_bool(const struct kr_cfg_param_val *v, bool *out)
{
    static const char *const yes[] = { "yes", "on", "true", "enable", "enabled" };
    static const char *const no[] = { "no", "off", "false", "disable", "disabled" };

    if (v->v.type == KR_VAL_INT) {
        *out = v->v.i != 0;
        return 0;
    }
    if (!v->is_ident) {
        return KR_EINVAL;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (kr_str_caseeq(v->v.s, kr_str_c(yes[i]))) {
            *out = true;
            return 0;
        }
        if (kr_str_caseeq(v->v.s, kr_str_c(no[i]))) {
            *out = false;
            return 0;
        }
    }
    return KR_EINVAL;
}

int kr_cfg_core_set(struct kr_cfg *cfg, struct kr_str name, const struct kr_cfg_param_val *v,
                    const char **why)
{
    const struct param *p = NULL;
    char *base = (char *)&cfg->core;

    for (size_t i = 0; params[i].doc.name; i++) {
        if (kr_str_eq(name, kr_str_c(params[i].doc.name))) {
            p = &params[i];
            break;
        }
    }
    if (p == NULL) {
        return KR_ENOTFOUND;
    }
    switch (p->doc.type) {
    case KR_CFG_P_INT:
        if (v->v.type != KR_VAL_INT) {
            /* Kamailio accepts yes/no for a few integer switches */
            bool b;
            if (to_bool(v, &b) == 0 && v->is_ident) {
                if (p->off != NO_FIELD) {
                    *(int64_t *)(base + p->off) = b;
                }
                return 0;
            }
            *why = "an integer";
            return KR_EINVAL;
        }
        if (p->off != NO_FIELD) {
            if (v->v.i < p->min || v->v.i > p->max) {
                *why = p->min == -5 ? "an integer from -5 to 3" : "an integer in range";
                return KR_EINVAL;
            }
            *(int64_t *)(base + p->off) = v->v.i;
        }
        return 0;
    case KR_CFG_P_BOOL: {
        bool b;
        if (to_bool(v, &b) < 0) {
            *why = "yes/no (on/off, true/false, 1/0)";
            return KR_EINVAL;
        }
        if (p->off != NO_FIELD) {
            *(bool *)(base + p->off) = b;
        }
        return 0;
    }
    case KR_CFG_P_STR:
        if (v->v.type != KR_VAL_STR) {
            *why = "a string";
            return KR_EINVAL;
        }
        if (p->off != NO_FIELD) {
            const char *s = kr_arena_cstr(&cfg->arena, v->v.s);
            if (s == NULL) {
                return KR_ENOMEM;
            }
            *(const char **)(base + p->off) = s;
        }
        return 0;
    default:
        return 0;
    }
}
