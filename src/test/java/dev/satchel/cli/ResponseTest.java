package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the shell shows responses and which ones set {@code $tkn}. */
class ResponseTest {

    @Test
    void successShowsTheStatusNameAndTheOtherMembersIndented() {
        Response r = Response.parse("{\"SH_NEW_RSP\":{\"st\":1,\"tkn\":\"abc\",\"name\":\"cart\"}}");

        assertThat(r.pretty()).isEqualTo("SH_NEW_RSP st=1 (Ok)\n{\n  \"tkn\": \"abc\",\n  \"name\": \"cart\"\n}");
        assertThat(r.isSuccess()).isTrue();
        assertThat(r.setsToken()).isTrue();
        assertThat(r.token().textValue()).isEqualTo("abc");
    }

    @Test
    void aResponseWithOnlyTheStatusIsOneLine() {
        assertThat(Response.parse("{\"SH_SET_RSP\":{\"st\":1}}").pretty()).isEqualTo("SH_SET_RSP st=1 (Ok)");
    }

    @Test
    void errorsShowNameNumberAndMessage() {
        Response r = Response.parse("{\"SH_GET_RSP\":{\"st\":100,\"m\":\"session does not exist\"}}");

        assertThat(r.pretty()).isEqualTo("SH_GET_RSP st=100 (SessionNotExist): session does not exist");
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.describeFailure()).isEqualTo("SH_GET_RSP st=100 (SessionNotExist): session does not exist");
        assertThat(Response.parse("{\"ERR\":{\"st\":3,\"m\":\"bad JSON\"}}").pretty())
                .isEqualTo("ERR st=3 (JsonInvalid): bad JSON");
        assertThat(Response.parse("{\"X_RSP\":{\"st\":77}}").pretty()).isEqualTo("X_RSP st=77 (Status77)");
    }

    @Test
    void saveAndLoadCompletionsAreSuccesses() {
        assertThat(Response.parse("{\"SH_SAVE_RSP\":{\"st\":121,\"name\":\"b\",\"duration\":3}}").isSuccess()).isTrue();
        assertThat(Response.parse("{\"KV_LOAD_RSP\":{\"st\":141,\"name\":\"b\"}}").isSuccess()).isTrue();
        assertThat(Response.parse("{\"SH_SAVE_RSP\":{\"st\":14,\"m\":\"off\"}}").pretty())
                .isEqualTo("SH_SAVE_RSP st=14 (CommandDisabled): off");
    }

    @Test
    void valuesAreShownExactlyAsSentIncludingDuplicatesAndNumberSpellings() {
        Response r = Response.parse("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"a\":1.0,\"b\":1E+30,\"c\":{\"x\":1,\"x\":2},"
                + "\"d\":[],\"e\":{},\"f\":[true,null,\"s\"],\"big\":123456789012345678901234567890}}}");

        assertThat(r.pretty()).isEqualTo(String.join("\n",
                "SH_GET_RSP st=1 (Ok)",
                "{",
                "  \"keys\": {",
                "    \"a\": 1.0,",
                "    \"b\": 1E+30,",
                "    \"c\": {",
                "      \"x\": 1,",
                "      \"x\": 2",
                "    },",
                "    \"d\": [],",
                "    \"e\": {},",
                "    \"f\": [",
                "      true,",
                "      null,",
                "      \"s\"",
                "    ],",
                "    \"big\": 123456789012345678901234567890",
                "  }",
                "}"));
    }

    @Test
    void onlyCreatedOrOpenedSessionsSetTheToken() {
        assertThat(Response.parse("{\"SH_OPEN_RSP\":{\"st\":1,\"tkn\":\"t\",\"name\":\"n\"}}").setsToken()).isTrue();
        assertThat(Response.parse("{\"SH_NEW_RSP\":{\"st\":1,\"tkn\":18446744073709551615}}").token().bigIntegerValue())
                .hasToString("18446744073709551615");
        assertThat(Response.parse("{\"SH_END_RSP\":{\"st\":1,\"tkn\":\"t\"}}").setsToken()).isFalse();
        assertThat(Response.parse("{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":\"t\"}}").setsToken()).isFalse();
        assertThat(Response.parse("{\"SH_NEW_RSP\":{\"st\":103,\"m\":\"taken\"}}").setsToken()).isFalse();
    }

    @Test
    void textThatIsNotAResponseIsShownAsItCame() {
        Response r = Response.parse("hello");
        assertThat(r.pretty()).isEqualTo("hello");
        assertThat(r.isSuccess()).isFalse();
        assertThat(r.describeFailure()).contains("not a Satchel response: hello");
        assertThat(Response.parse("[1,2]").pretty()).isEqualTo("[1,2]");
    }
}
