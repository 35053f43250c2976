// libcurl through dlopen: see include/churn_curl.h.

#include "churn_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char problem[512];
static const char *failure = NULL;

static void *symbol(void *library, const char *name) {
    void *p = dlsym(library, name);
    if (p == NULL && failure == NULL) {
        snprintf(problem, sizeof problem, "libcurl.so.4 has no %s", name);
        failure = problem;
    }
    return p;
}

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(problem, sizeof problem, "libcurl could not be loaded (%s); install libcurl4 to send mail",
                 why ? why : "not found");
        failure = problem;
        return;
    }
    api.global_init = (CURLcode (*)(long))symbol(library, "curl_global_init");
    api.easy_init = (CURL *(*)(void))symbol(library, "curl_easy_init");
    api.easy_cleanup = (void (*)(CURL *))symbol(library, "curl_easy_cleanup");
    api.easy_perform = (CURLcode (*)(CURL *))symbol(library, "curl_easy_perform");
    api.easy_strerror = (const char *(*)(CURLcode))symbol(library, "curl_easy_strerror");
    api.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))symbol(library, "curl_easy_setopt");
    api.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))symbol(library, "curl_easy_getinfo");
    api.slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))symbol(library, "curl_slist_append");
    api.slist_free_all = (void (*)(struct curl_slist *))symbol(library, "curl_slist_free_all");
    if (failure != NULL) return;
    CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(problem, sizeof problem, "curl_global_init failed: %s", api.easy_strerror(code));
        failure = problem;
    }
}

const char *churn_curl_load(void) {
    pthread_once(&once, load);
    return failure;
}

CURL *churn_curl_easy_init(void) { return api.easy_init(); }
void churn_curl_easy_cleanup(CURL *h) { api.easy_cleanup(h); }
CURLcode churn_curl_easy_perform(CURL *h) { return api.easy_perform(h); }
const char *churn_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
struct curl_slist *churn_curl_slist_append(struct curl_slist *list, const char *text) { return api.slist_append(list, text); }
void churn_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }

CURLcode churn_curl_setopt_long(CURL *h, CURLoption o, long v) { return api.easy_setopt(h, o, v); }
CURLcode churn_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return api.easy_setopt(h, o, v); }
CURLcode churn_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return api.easy_setopt(h, o, v); }
CURLcode churn_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return api.easy_setopt(h, o, v); }
CURLcode churn_curl_setopt_read(CURL *h, churn_curl_read_callback f) { return api.easy_setopt(h, CURLOPT_READFUNCTION, f); }
CURLcode churn_curl_setopt_debug(CURL *h, churn_curl_debug_callback f) { return api.easy_setopt(h, CURLOPT_DEBUGFUNCTION, f); }
CURLcode churn_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return api.easy_getinfo(h, i, v); }
