/* govpki/export.h: symbol visibility of the public API */
#ifndef GOVPKI_EXPORT_H
#define GOVPKI_EXPORT_H

/* libgovpki is built with -fvisibility=hidden: only what is marked GP_EXPORT
 * is part of the shared library's ABI. */
#if defined(GP_BUILDING_LIB) && defined(__GNUC__)
#define GP_EXPORT __attribute__((visibility("default")))
#else
#define GP_EXPORT
#endif

#endif
