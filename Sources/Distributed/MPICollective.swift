import CMPI
import ChurnSupport
import Foundation

/// The processes of an MPI job (`mpirun -n N …`) as a `Collective`, over `MPI_COMM_WORLD`.
///
/// Only the thread that created it calls MPI (`MPI_THREAD_FUNNELED`). MPI's default error
/// handler is kept: a failed collective aborts the whole job rather than leaving processes
/// waiting for each other.
public final class MPICollective: Collective, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// The processes of the job on this machine (Open MPI's `OMPI_COMM_WORLD_LOCAL_SIZE`).
    public let localSize: Int
    private let comm: MPI_Comm

    /// True when this process was started by an MPI launcher (`mpirun`, `mpiexec`, `srun` with
    /// PMIx): its environment names its rank.
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    /// Set by `finished()`: the process exits having done its share.
    nonisolated(unsafe) private static var finishedNormally = false

    /// Joins the MPI job this process was started in; nil when it was started without a
    /// launcher, so that a plain run never touches MPI.
    ///
    /// At exit MPI is finalized only after `finished()`. A process that exits on an error of its
    /// own, while the others may be waiting for it in a collective, skips `MPI_Finalize` (which
    /// would wait for them in turn): the launcher sees it exit unfinalized and ends the job.
    public static func joinLaunchedJob() -> MPICollective? {
        guard isLaunched else { return nil }
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, churn_mpi_thread_funneled(), &provided)
        atexit { if MPICollective.finishedNormally { MPI_Finalize() } }
        return MPICollective(comm: churn_mpi_comm_world())
    }

    /// Marks this process's work as done, so that its exit finalizes MPI. Call it when every
    /// process got to the same point (the end of training, or a stop they all agreed on).
    public func finished() { Self.finishedNormally = true }

    private init(comm: MPI_Comm) {
        self.comm = comm
        var r: Int32 = 0, n: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &n)
        rank = Int(r)
        size = Int(n)
        localSize = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
    }

    /// MPI counts are 32-bit: long buffers go in pieces.
    private static let chunk = 1 << 30

    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.chunk) {
            MPI_Allreduce(churn_mpi_in_place(), base + start, Int32(min(Self.chunk, buffer.count - start)),
                          churn_mpi_float(), churn_mpi_sum(), comm)
        }
    }

    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.chunk) {
            MPI_Allreduce(churn_mpi_in_place(), base + start, Int32(min(Self.chunk, buffer.count - start)),
                          churn_mpi_double(), churn_mpi_sum(), comm)
        }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.chunk) {
            MPI_Bcast(base + start, Int32(min(Self.chunk, buffer.count - start)), churn_mpi_float(), 0, comm)
        }
    }

    public func gather(_ local: [Float], counts: [Int]) -> [Float] {
        precondition(counts.count == size && counts[rank] == local.count, "gather: counts do not match the processes")
        guard size > 1 else { return local }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
        let counts32 = counts.map { Int32($0) }
        var out = [Float](repeating: 0, count: counts.reduce(0, +))
        var scratch: Float = 0
        local.withUnsafeBufferPointer { send in
            out.withUnsafeMutableBufferPointer { receive in
                withUnsafeMutablePointer(to: &scratch) { empty in
                    _ = MPI_Allgatherv(send.baseAddress ?? UnsafePointer(empty), Int32(local.count), churn_mpi_float(),
                                       receive.baseAddress ?? empty, counts32, displacements, churn_mpi_float(), comm)
                }
            }
        }
        return out
    }

    /// A barrier that polls every millisecond: Open MPI's blocking barrier spins, taking a core
    /// from process 0 while it grows trees on the same machine.
    public func wait() {
        guard size > 1 else { return }
        var request = MPI_Request(bitPattern: 0)
        MPI_Ibarrier(comm, &request)
        var done: Int32 = 0
        while true {
            MPI_Test(&request, &done, churn_mpi_status_ignore())
            if done != 0 { return }
            usleep(1000)
        }
    }
}
