#ifndef CHURN_CURL_H
#define CHURN_CURL_H

/* libcurl, loaded on first use (dlopen "libcurl.so.4") instead of at program start: only sending
   mail needs it, and linking it mapped its TLS, Kerberos and LDAP dependencies (about 5 MB of
   memory) into every churn process, workers included; a host without libcurl can still score.
   The header gives libcurl's types and constants; every call goes through these wrappers.
   curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed wrapper
   per argument kind. */
#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Loads libcurl and runs curl_global_init once. NULL when it is ready, else why it is not (the
   same text on every later call). Call it before any other function here. */
const char *churn_curl_load(void);

CURL *churn_curl_easy_init(void);
void churn_curl_easy_cleanup(CURL *h);
CURLcode churn_curl_easy_perform(CURL *h);
const char *churn_curl_easy_strerror(CURLcode code);
struct curl_slist *churn_curl_slist_append(struct curl_slist *list, const char *text);
void churn_curl_slist_free_all(struct curl_slist *list);

CURLcode churn_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode churn_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode churn_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode churn_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);

typedef size_t (*churn_curl_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
CURLcode churn_curl_setopt_read(CURL *h, churn_curl_read_callback f);
typedef int (*churn_curl_debug_callback)(CURL *h, curl_infotype type, char *data, size_t size, void *userdata);
CURLcode churn_curl_setopt_debug(CURL *h, churn_curl_debug_callback f);
CURLcode churn_curl_getinfo_long(CURL *h, CURLINFO i, long *v);

#ifdef __cplusplus
}
#endif
#endif
