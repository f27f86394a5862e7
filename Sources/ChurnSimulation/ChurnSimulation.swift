/// Seeded synthetic event logs with a known churn process (see issue 3).
public enum ChurnSimulationModule {}
