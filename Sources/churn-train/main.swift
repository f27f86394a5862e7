import ChurnCLI
import Foundation

// Placeholder until its issue lands: says what will come and exits with a usage error.
Terminal.error("churn-train: not implemented yet (see README, 'Status').")
exit(ExitCode.software.rawValue)
