using System.Text.Json;
using Agent.Cli.Client;

namespace Agent.UnitTests.Cli;

/// <summary>probe-16 F3: start, up and restart print what they did, never a bare success when nothing ran.</summary>
public sealed class ObjectVerbOutputTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static string Done(string verb, string shown, string json) => ObjectVerbCommand.Done(verb, shown, JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Up_and_start_name_what_they_started_or_say_that_nothing_was_stopped()
    {
        Assert.Equal("composeproject/p is up: 2 container(s) (p-db-1, p-app-1) started",
            Done("up", "composeproject/p", """{"group":"p","suspended":false,"started":["p-db-1","p-app-1"],"wasSuspended":false}"""));
        Assert.Equal("composeproject/p is up: no stopped container to start",
            Done("up", "composeproject/p", """{"group":"p","suspended":false,"started":[],"wasSuspended":false}"""));
        Assert.Equal("composeproject/p is up: no stopped container to start; the agent creates and starts its containers now (agent get composeproject/p shows when they run)",
            Done("up", "composeproject/p", """{"group":"p","suspended":false,"started":[],"wasSuspended":true}"""));
        Assert.Equal("servicegroup/g: spec.suspend is true in its manifest, which keeps it stopped: nothing started",
            Done("start", "servicegroup/g", """{"group":"g","suspended":false,"started":[],"wasSuspended":true,"specSuspended":true}"""));
    }

    [Fact]
    public void A_comma_list_is_refused_as_several_objects_not_sent_as_one_name()
    {
        // probe-63: "servicegroup/db,web" reached the agent as one name; a scoped token's 403 named "ServiceGroup/db,web".
        var refused = Assert.Throws<AgentApiException>(() => ObjectReference.Parse("servicegroup/db,web", null));
        Assert.Contains("\"db,web\" names several objects", refused.Message);
        Assert.Throws<AgentApiException>(() => ObjectReference.Parse("servicegroup", "db,web"));
        Assert.Equal(("servicegroup", "db"), ObjectReference.Parse("servicegroup/db", null));
    }

    [Fact]
    public void Restart_names_what_it_restarted_or_why_nothing()
    {
        Assert.Equal("servicegroup/g restarted: 1 container(s) (g-a-1)", Done("restart", "servicegroup/g", """{"group":"g","restarted":["g-a-1"]}"""));
        Assert.Equal("composeproject/p: nothing restarted: it is down (agent up composeproject/p starts it)",
            Done("restart", "composeproject/p", """{"group":"p","restarted":[],"suspended":true,"down":true}"""));
        // probe-25: a project only stopped (agent stop) read as down.
        Assert.Equal("composeproject/p: nothing restarted: it is stopped (agent start composeproject/p starts it)",
            Done("restart", "composeproject/p", """{"group":"p","restarted":[],"suspended":true}"""));
        Assert.Equal("servicegroup/g: nothing restarted: it has no container yet (agent get servicegroup/g shows what it runs)",
            Done("restart", "servicegroup/g", """{"group":"g","restarted":[]}"""));
        // probe-21: a group its manifest suspends pointed at agent start, which does not lift spec.suspend.
        Assert.Equal("servicegroup/g: nothing restarted: spec.suspend is true in its manifest, which keeps it stopped (set it to false to run it)",
            Done("restart", "servicegroup/g", """{"group":"g","restarted":[],"suspended":true,"specSuspended":true}"""));
    }

    [Fact]
    public void A_verb_of_another_kind_names_the_verb_that_applies_instead_of_a_raw_404()
    {
        Assert.Equal("a ServiceGroup is stopped and started, not taken down and brought up: agent stop servicegroup/web",
            ObjectVerbCommand.Refusal("down", "ServiceGroup", "web"));
        Assert.Equal("a ServiceGroup is stopped and started, not taken down and brought up: agent start servicegroup/web",
            ObjectVerbCommand.Refusal("up", "ServiceGroup", "web"));
        Assert.Contains("POST /api/v1/cronjobs/nightly/suspend", ObjectVerbCommand.Refusal("stop", "CronJob", "nightly"));
        Assert.Null(ObjectVerbCommand.Refusal("stop", "ServiceGroup", "web"));
        Assert.Null(ObjectVerbCommand.Refusal("down", "ComposeProject", "shop"));
        Assert.Null(ObjectVerbCommand.Refusal("stop", "ComposeProject", "shop"));
        Assert.Null(ObjectVerbCommand.Refusal("start", "ComposeProject", "shop"));
    }

    [Fact]
    public void A_service_stop_or_start_says_which_containers_it_stopped_or_started()
    {
        Assert.Equal("composeproject/p: service app stopped: 2 container(s) (p-app-1, p-app-2)",
            ObjectVerbCommand.ServiceDone("stop", "composeproject/p", "app", Json("""{"group":"p","service":"app","stopped":["p-app-1","p-app-2"]}""")));
        Assert.Equal("composeproject/p: service app: no running container to stop",
            ObjectVerbCommand.ServiceDone("stop", "composeproject/p", "app", Json("""{"group":"p","service":"app","stopped":[]}""")));
        Assert.Equal("composeproject/p: service app started: 1 container(s) (p-app-1)",
            ObjectVerbCommand.ServiceDone("start", "composeproject/p", "app", Json("""{"group":"p","suspended":false,"started":["p-app-1"]}""")));
        // probe-28 F10: what it depends on is named apart, and a service with no container of its own says so.
        Assert.Equal("composeproject/shop: service app started: 1 container(s) (shop-app-1), after what it depends on: 2 container(s) (shop-db-1, shop-migrate-1)",
            ObjectVerbCommand.ServiceDone("start", "composeproject/shop", "app", Json("""{"started":["shop-db-1","shop-migrate-1","shop-app-1"]}""")));
        Assert.Equal("composeproject/shop: service app: started what it depends on: 2 container(s) (shop-db-1, shop-migrate-1); no stopped container of app itself " +
                     "(one that is missing is made by the agent: agent get composeproject/shop shows when it runs)",
            ObjectVerbCommand.ServiceDone("start", "composeproject/shop", "app", Json("""{"started":["shop-db-1","shop-migrate-1"]}""")));
        Assert.Equal("composeproject/my-app: service app started: 1 container(s) (my-app-app-1)",
            ObjectVerbCommand.ServiceDone("start", "composeproject/my-app", "app", Json("""{"started":["my-app-app-1"]}""")));
    }

    [Fact]
    public void A_stop_that_times_out_while_the_engine_is_away_says_so_not_only_still_running()
    {
        var away = Json("""{"conditions":[{"type":"Ready","status":"False","reason":"EngineUnavailable","message":"The Docker engine did not answer _ping within 5s"}]}""");
        Assert.Equal("the Docker engine is not answering (The Docker engine did not answer _ping within 5s), so the stop cannot be applied yet; " +
                     "last seen running: tick-t-1; it is applied once the engine answers",
            ObjectVerbCommand.WhyNotStopped(away, ["tick-t-1"]));
        // probe-26 F4: the stop's own Ready (Stopped) replaced EngineUnavailable there; Degraded still says it.
        var stopping = Json("""{"conditions":[{"type":"Ready","status":"False","reason":"Stopped","message":"stopped"},{"type":"Degraded","status":"True","reason":"EngineUnavailable","message":"no _ping answer"}]}""");
        Assert.StartsWith("the Docker engine is not answering (no _ping answer), so the stop cannot be applied yet; last seen running: g1-s-1",
            ObjectVerbCommand.WhyNotStopped(stopping, ["g1-s-1"]));
        var answering = Json("""{"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":""}]}""");
        Assert.Equal("still running: tick-t-1", ObjectVerbCommand.WhyNotStopped(answering, ["tick-t-1"]));
        Assert.Equal("the stop is not applied yet", ObjectVerbCommand.WhyNotStopped(answering, []));
    }
}
