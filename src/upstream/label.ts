/**
 * How messages name the configured upstream and the settings to check: Azure OpenAI, or any
 * OpenAI-compatible chat-completions endpoint (`UPSTREAM=openai`). One wording for both; only the
 * names differ.
 */
export interface UpstreamLabel {
  /** At the start of a sentence: "Azure OpenAI", "The OpenAI-compatible upstream". */
  Name: string;
  /** Within a sentence: "Azure OpenAI", "the OpenAI-compatible upstream". */
  name: string;
  /** The setting that says where it is. */
  endpoint: string;
  /** The setting that holds its key. */
  key: string;
  /** What a 404 means and which settings to check. */
  notFound: string;
}

export const AZURE_LABEL: UpstreamLabel = {
  Name: "Azure OpenAI",
  name: "Azure OpenAI",
  endpoint: "AZURE_OPENAI_ENDPOINT",
  key: "AZURE_OPENAI_API_KEY",
  notFound: "Azure OpenAI found no such deployment (HTTP 404): check AZURE_OPENAI_DEPLOYMENT_NAME, AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION",
};

export const OPENAI_LABEL: UpstreamLabel = {
  Name: "The OpenAI-compatible upstream",
  name: "the OpenAI-compatible upstream",
  endpoint: "OPENAI_BASE_URL",
  key: "OPENAI_API_KEY",
  notFound: "The OpenAI-compatible upstream found no such model or path (HTTP 404): check OPENAI_MODEL and OPENAI_BASE_URL (requests go to {OPENAI_BASE_URL}/chat/completions)",
};
