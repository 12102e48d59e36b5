"use client";
import { resourceEditPage } from "../../../../components/resource-pages.tsx";

export default resourceEditPage("routeConfigs");
