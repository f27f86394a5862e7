/// The churn model.
public enum ChurnModelModule {}
