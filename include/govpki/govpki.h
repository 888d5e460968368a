/* govpki/govpki.h: the whole public API of libgovpki */
#ifndef GOVPKI_GOVPKI_H
#define GOVPKI_GOVPKI_H

#include <govpki/version.h>
#include <govpki/error.h>
#include <govpki/mem.h>
#include <govpki/store.h>
#include <govpki/audit.h>
#include <govpki/key.h>
#include <govpki/x509util.h>
#include <govpki/config.h>
#include <govpki/profile.h>
#include <govpki/ca.h>
#include <govpki/ocsp.h>
#include <govpki/seal.h>
#include <govpki/ra.h>
#include <govpki/cmp.h>
#include <govpki/backup.h>
#include <govpki/verify.h>
#include <govpki/acme.h>
#include <govpki/signer.h>
#include <govpki/kmc.h>

#endif
