/** What test/support/global-setup.ts provides to every test, Node and workerd alike. */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAzureUrl: string;
  }
}
