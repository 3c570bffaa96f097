using Agent.Cli;

// agent run | validate | diff | apply: see Cli/ for each command.
Agent.Hosting.StartupTimeline.Mark("main");
return await AgentCommandLine.RunAsync(args);
