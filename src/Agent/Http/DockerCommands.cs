namespace Agent.Http;

/// <summary>Docker CLI commands and what does the same through the agent: its command line and its HTTP route. The one
/// source of GET /api/v1/commands and of the table in docs/api.md (a test keeps the two, and the routes, in step).</summary>
public static class DockerCommands
{
    /// <summary>One row: <see cref="Http"/> is "METHOD /api/v1/path" exactly as mapped; <see cref="Agent"/> is empty when only the API does it.</summary>
    public sealed record Equivalent(string Docker, string Agent, string Http, string Note = "");

    public static readonly IReadOnlyList<Equivalent> All =
    [
        new("docker ps -a", "agent get containers", "GET /api/v1/containers", "the agent's containers only; ?group=&service=&state="),
        new("docker inspect CONTAINER", "", "GET /api/v1/containers/{id}"),
        new("docker start CONTAINER", "", "POST /api/v1/containers/{id}/start"),
        new("docker stop CONTAINER", "", "POST /api/v1/containers/{id}/stop", "stays stopped until started"),
        new("docker restart CONTAINER", "", "POST /api/v1/containers/{id}/restart"),
        new("docker rm CONTAINER", "", "DELETE /api/v1/containers/{id}", "recreated if a manifest wants it"),
        new("docker logs CONTAINER", "agent logs CONTAINER", "GET /api/v1/containers/{id}/logs"),
        new("(kubectl logs job/NAME)", "agent logs job/ID|cronjob/NAME", "GET /api/v1/jobs/{id}/logs", "the latest run's output; cronjob/NAME: its most recent run's"),
        new("docker stats --no-stream CONTAINER", "", "GET /api/v1/containers/{id}/stats"),
        new("docker exec CONTAINER CMD", "agent exec CONTAINER|KIND/NAME -- CMD", "POST /api/v1/containers/{id}/exec", "exit code is the command's"),
        new("docker run IMAGE", "", "POST /api/v1/run", "through the security policy"),
        new("docker create IMAGE", "", "POST /api/v1/containers", "start with .../start"),
        new("docker top CONTAINER", "agent top CONTAINER", "GET /api/v1/containers/{id}/top"),
        new("docker diff CONTAINER", "", "GET /api/v1/containers/{id}/changes"),
        new("docker cp CONTAINER:PATH -", "agent files cat|ls CONTAINER PATH", "GET /api/v1/containers/{id}/files", "a folder is listed as JSON"),
        new("docker cp FILE CONTAINER:PATH", "agent cp FILE CONTAINER:PATH", "PUT /api/v1/containers/{id}/files"),
        new("curl $(docker port CONTAINER PORT)/PATH", "agent proxy CONTAINER (prints the URL)", "GET /api/v1/containers/{id}/proxy/{path}", "any method, websockets too"),
        new("docker stats --no-stream", "agent system top", "GET /api/v1/system/top", "the agent's running containers, sort=cpu|memory"),
        new("docker images", "agent image ls", "GET /api/v1/images"),
        new("docker pull IMAGE", "agent image pull IMAGE", "POST /api/v1/images/pull"),
        new("docker rmi IMAGE", "agent image rm IMAGE", "DELETE /api/v1/images/{ref}", "409 naming its users unless force"),
        new("docker image inspect IMAGE", "agent image inspect IMAGE", "GET /api/v1/images/{ref}"),
        new("docker image history IMAGE", "agent image history IMAGE", "GET /api/v1/images/{ref}/history"),
        new("docker tag IMAGE TARGET", "agent image tag IMAGE TARGET", "POST /api/v1/images/{ref}/tag"),
        new("docker push IMAGE", "agent image push IMAGE", "POST /api/v1/images/{ref}/push", "credentials from Agent:Registries"),
        new("docker save IMAGE", "", "GET /api/v1/images/{ref}/save"),
        new("docker load", "", "POST /api/v1/images/load"),
        new("docker search TERM", "", "GET /api/v1/images/search"),
        new("docker build", "", "POST /api/v1/images/build", "classic builder; async=true: a task"),
        new("docker login", "", "POST /api/v1/registries/login", "checks configured credentials"),
        new("docker image prune", "agent image prune", "POST /api/v1/images/prune"),
        new("docker volume ls", "agent volume ls", "GET /api/v1/volumes", "the agent's volumes, with size and users (the first three, then `+ N more...`)"),
        new("docker volume inspect VOLUME", "agent volume inspect VOLUME", "GET /api/v1/volumes/{name}"),
        new("docker volume create VOLUME", "agent volume create VOLUME", "POST /api/v1/volumes"),
        new("docker volume rm VOLUME", "agent volume rm VOLUME", "DELETE /api/v1/volumes/{name}"),
        new("docker volume prune", "agent volume prune", "POST /api/v1/volumes/prune", "never a volume in use or declared by a manifest"),
        new("docker network ls", "agent network ls", "GET /api/v1/networks", "with their containers (the first three, then `+ N more...`; `-o json` lists all)"),
        new("docker network inspect NETWORK", "agent network inspect NETWORK", "GET /api/v1/networks/{id}"),
        new("docker network create NETWORK", "agent network create NETWORK", "POST /api/v1/networks"),
        new("docker network rm NETWORK", "agent network rm NETWORK", "DELETE /api/v1/networks/{id}"),
        new("docker network prune", "agent network prune", "POST /api/v1/networks/prune"),
        new("docker network connect NETWORK CONTAINER", "agent network connect NETWORK CONTAINER", "POST /api/v1/networks/{id}/containers/{container}"),
        new("docker network disconnect NETWORK CONTAINER", "agent network disconnect NETWORK CONTAINER", "DELETE /api/v1/networks/{id}/containers/{container}"),
        new("docker version", "", "GET /api/v1/system/version"),
        new("docker info", "", "GET /api/v1/system/info"),
        new("docker system df -v", "agent system df", "GET /api/v1/system/df"),
        new("(flux: after a mass deletion)", "agent prune show, agent prune confirm [KIND/NAME...]", "POST /api/v1/prune/confirm", "what the mass-prune guard holds (GET /api/v1/prune), confirmed exactly"),
        new("(top, free, df of the data root)", "agent system usage", "GET /api/v1/system/usage", "host CPU, memory, load, disk"),
        new("docker compose ls", "agent get composeprojects", "GET /api/v1/composeprojects"),
        new("docker compose ps", "agent describe composeproject/NAME", "GET /api/v1/composeprojects/{name}"),
        new("docker compose up -d", "agent up composeproject/NAME", "POST /api/v1/composeprojects/{name}/up", "clears a down and starts exited containers; manifests are applied continuously"),
        new("docker compose down", "agent down composeproject/NAME", "POST /api/v1/composeprojects/{name}/down", "down -v: ?volumes=true"),
        new("docker compose logs [SERVICE]", "agent logs composeproject/NAME [--service S]", "GET /api/v1/containers/{id}/logs", "every container's lines, prefixed with its name; servicegroup/NAME too"),
        new("docker compose restart", "agent restart composeproject/NAME", "POST /api/v1/composeprojects/{name}/restart"),
        new("docker compose stop [SERVICE]", "agent stop composeproject/NAME [--service S]", "POST /api/v1/composeprojects/{name}/stop", "containers kept, stopped, until start; ?service=S; servicegroup/NAME too"),
        new("docker compose start [SERVICE]", "agent start composeproject/NAME [--service S]", "POST /api/v1/composeprojects/{name}/start", "in depends_on order; ?service=S (with what S depends on, on a project stopped as a whole); 409 while down (use up); servicegroup/NAME too"),
        new("docker compose config", "agent render", "", "offline, no API"),
        new("docker compose up (once)", "agent apply --once", "", "offline, no API"),
        new("docker events", "agent events", "GET /api/v1/objects", "the objects' recent events"),
        new("docker wait CONTAINER", "agent wait KIND/NAME --for=condition=Ready", "GET /api/v1/objects"),
    ];

    /// <summary>The table as docs/api.md holds it.</summary>
    public static string Markdown() =>
        "| Docker CLI | agent | HTTP | note |\n| --- | --- | --- | --- |\n"
        + string.Concat(All.Select(c => $"| {Code(c.Docker)} | {Code(c.Agent)} | {Code(c.Http)} | {Cell(c.Note)} |\n"));

    private static string Code(string text) => text.Length == 0 ? "" : $"`{Cell(text)}`";

    /// <summary>A table cell's text: a `|` would end the cell, code span or not (GitHub's tables).</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    public static RouteGroupBuilder MapCommandEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/commands", () => JsonAnswer.Ok(All))
            .WithSummary("Docker CLI commands and their equivalents: the agent command line and the HTTP route (the same table as in docs/api.md).");
        return api;
    }
}
