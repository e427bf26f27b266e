/*
 * NN_API marks the functions that libnnblas exports. The library is built
 * with hidden visibility, so anything without NN_API stays private.
 */
#ifndef NNBLAS_EXPORT_H
#define NNBLAS_EXPORT_H

#if defined(_WIN32) && defined(NN_BUILDING_SHARED)
#define NN_API __declspec(dllexport)
#elif defined(__GNUC__) && defined(NN_BUILDING)
#define NN_API __attribute__((visibility("default")))
#else
#define NN_API
#endif

/* A returned status that is ignored is almost always a bug in the caller. */
#if defined(__GNUC__)
#define NN_NODISCARD __attribute__((warn_unused_result))
#else
#define NN_NODISCARD
#endif

#ifdef __cplusplus
#define NN_BEGIN_DECLS extern "C" {
#define NN_END_DECLS }
#else
#define NN_BEGIN_DECLS
#define NN_END_DECLS
#endif

#endif
