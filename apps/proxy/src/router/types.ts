export type * from "@switchyard/config-model/matcher";
