// Open MPI's handles and constants are macros over its globals, which Swift cannot import:
// these functions return them.
#include <mpi.h>

static inline MPI_Comm churn_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype churn_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype churn_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op churn_mpi_sum(void) { return MPI_SUM; }
static inline void *churn_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *churn_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int churn_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
