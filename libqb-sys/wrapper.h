#include <qb/qbdefs.h>
#include <qb/qbipc_common.h>
#include <qb/qbipcs.h>
#include <qb/qbipcc.h>
#include <qb/qbloop.h>
#include <qb/qblog.h>
