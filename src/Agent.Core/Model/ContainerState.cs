namespace Agent.Core.Model;

public enum ContainerState { Created, Running, Paused, Restarting, Removing, Exited, Dead, Unknown }

public enum HealthState { None, Starting, Healthy, Unhealthy }
