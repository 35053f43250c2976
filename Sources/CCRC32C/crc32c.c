#include "crc32c.h"
uint32_t churn_crc32c(uint32_t crc, const void *data, size_t length) { (void)data; (void)length; return crc; }
