using Agent.Cli;

// agent run | validate | diff | apply: see Cli/ for each command.
return await AgentCommandLine.RunAsync(args);
