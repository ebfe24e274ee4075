/* version.h - batond's version string. */
#ifndef BATON_SERVER_VERSION_H
#define BATON_SERVER_VERSION_H

#define BATON_VERSION "0.1.0"

#endif
