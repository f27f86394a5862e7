import ChurnCLI
import Foundation
Terminal.error("churn-bench: placeholder")
